"""The AWS Lambda API (the control plane and Invoke) on Lamina's AWS endpoint."""
