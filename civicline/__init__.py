"""civicline: a city's resident services on its LINE official account."""
