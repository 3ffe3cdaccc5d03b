"""AWS Security Token Service on the endpoint (query protocol): who the caller is."""
