"""Amazon SQS on Lamina's AWS endpoint: durable standard and FIFO queues (see ``service``)."""
