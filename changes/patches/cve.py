"""CVE identifiers: CVE-<year>-<sequence of 4 or more digits> (MITRE's syntax since 2014)."""

import re

CVE_PATTERN = re.compile(r"\bCVE-(\d{4})-(\d{4,7})\b", re.IGNORECASE)
_EXACT = re.compile(r"CVE-\d{4}-\d{4,7}")


def cve_ids_in(text: str) -> list[str]:
    """The distinct CVE ids named in `text`, upper-cased, in order of first mention."""
    found = (f"CVE-{year}-{number}" for year, number in CVE_PATTERN.findall(text or ""))
    return list(dict.fromkeys(found))


def clean_cve(value: str) -> str | None:
    """`value` as a CVE id in canonical form, or None when it is not one."""
    candidate = (value or "").strip().upper()
    return candidate if _EXACT.fullmatch(candidate) else None
