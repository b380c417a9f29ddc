"""Webhooks: subscriptions, signed delivery from the outbox with retries, and a delivery log."""
