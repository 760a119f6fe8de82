"""Drop-ins for ``twilio.jwt``: tokens that ``twilio_compat.conversations.Client`` accepts."""
