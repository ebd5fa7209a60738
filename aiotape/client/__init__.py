"""The aiotape HTTP/websocket client: session, transports and the seam between them."""
