from django.utils.translation import gettext_lazy as _

from civicline.core import features


class ReservationsConfig(features.FeatureConfig):
    name = "civicline.reservations"
    label = "reservations"
    verbose_name = _("予約")
