"""The desktop's Qt classes: windows, pages and the links to the services, drawing what the
plain-Python models in agent_desktop decide."""
