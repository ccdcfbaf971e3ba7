"""Calendar snapshots (as a clock's snapshot holds its calendar) shared by the badge tests."""

# A Berlin office open 09:00 to 17:00 local time, Monday to Friday.
OFFICE = {
    "name": "Berlin office",
    "timezone": "Europe/Berlin",
    "always_open": False,
    "windows": [[day, "09:00", "17:00"] for day in range(5)],
    "holidays": [],
}
