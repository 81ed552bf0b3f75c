"""The public web surface: the Gradio chat, the embeddable widget and the HTTP API, served by
one FastAPI app. Everything here is untrusted-input territory."""
