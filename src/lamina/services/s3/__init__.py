"""S3 on the services port: buckets, objects and multipart uploads kept under the state dir."""
