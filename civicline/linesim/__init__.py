"""linesim: a local stand-in for the LINE platform (Messaging API, webhooks, LIFF tokens).

civicline's features never import it; it is reached only over HTTP, as real LINE is.
"""
