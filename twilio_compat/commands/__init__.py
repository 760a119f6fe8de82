"""One module per `twilio-acs` subcommand; each defines `command`, named after its module."""
