"""Distances on the Earth and links to route apps, without a spatial database.

Nearest-facility search narrows candidates with a latitude/longitude box (an indexed range
query) and ranks them by exact great-circle distance (haversine).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import urlencode

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)
METRES_PER_DEGREE_LAT = math.pi * EARTH_RADIUS_M / 180


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Box:
    south: float
    west: float
    north: float
    east: float


def bounding_box(lat: float, lng: float, radius_m: float) -> Box:
    """A box holding every point within ``radius_m`` of (lat, lng) (away from the poles)."""
    dlat = radius_m / METRES_PER_DEGREE_LAT
    dlng = radius_m / (METRES_PER_DEGREE_LAT * max(math.cos(math.radians(lat)), 0.01))
    return Box(lat - dlat, lng - dlng, lat + dlat, lng + dlng)


def distance_label(metres: float) -> str:
    if metres < 1000:
        return f"{round(metres / 10) * 10:.0f} m"
    return f"{metres / 1000:.1f} km"


def google_maps_route_url(lat: float, lng: float) -> str:
    """Google Maps directions on foot to the point (opens the app where installed)."""
    return "https://www.google.com/maps/dir/?" + urlencode(
        {"api": 1, "destination": f"{lat:.6f},{lng:.6f}", "travelmode": "walking"}
    )

