"""What operators of `twilio-acs serve` watch: health checks, Prometheus metrics and logs."""
