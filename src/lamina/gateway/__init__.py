"""The HTTP front door: API Gateway's routing, events, response mapping and CORS, with no web
framework between the socket and the engine. Reaches the engine only through ``engine.api``."""
