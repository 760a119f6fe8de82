"""The Azure side of twilio-acs-compat: everything that talks to Azure, nothing that knows Twilio."""
