"""AWS X-Ray: trace segments received (API and the UDP daemon port) and read back."""
