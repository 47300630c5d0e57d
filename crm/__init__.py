"""The shared CRM database: schema, migrations, services, permissions, demo data.

Imports nothing else of Cicada; settings arrive as arguments.
"""
