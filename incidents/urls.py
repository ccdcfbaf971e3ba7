from incidents.urls_agent import agent_patterns
from incidents.urls_portal import portal_patterns

app_name = "incidents"

urlpatterns = [*portal_patterns, *agent_patterns]
