"""Integrations with the outside: outbound webhooks for CRM and BI, CRM sync."""
