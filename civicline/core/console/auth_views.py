from django.http import HttpRequest, HttpResponse


def locked_out(request: HttpRequest, credentials: dict | None = None, *args, **kwargs) -> HttpResponse:
    return HttpResponse("locked", status=429)
