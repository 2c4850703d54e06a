from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from civicline.urls import urlpatterns as civicline_urlpatterns


@csrf_exempt
def bare(request):
    """The floor: a Django view that reads the body and answers 200, through the same middleware."""
    request.body  # noqa: B018 - read it, as the webhook must
    return HttpResponse(status=200)


urlpatterns = [path("bench/bare", bare), *civicline_urlpatterns]
