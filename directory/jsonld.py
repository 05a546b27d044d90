"""schema.org JSON-LD for pages, serialised so it can never break out of its <script> tag."""

from __future__ import annotations

import json

from markupsafe import Markup


def script_tag(data: dict) -> Markup:
    """`<script type="application/ld+json">` with `<`, `>` and `&` escaped as JSON unicode escapes."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(f'<script type="application/ld+json">{text}</script>')


DAY_NAMES = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}


def provider(detail: dict, url: str) -> dict:
    """MedicalBusiness + HealthAndBeautyBusiness with address, geo, ratings and the shown reviews."""
    address = detail["address"]
    data = {
        "@context": "https://schema.org",
        "@type": ["MedicalBusiness", "HealthAndBeautyBusiness"],
        "@id": url,
        "name": detail["name"],
        "url": url,
        "description": detail.get("description") or None,
        "address": {
            "@type": "PostalAddress",
            "streetAddress": address.get("street"),
            "addressLocality": address["city"],
            "addressRegion": address["state"],
            "postalCode": address.get("postal_code"),
            "addressCountry": address.get("country"),
        },
        "geo": {
            "@type": "GeoCoordinates",
            "latitude": detail["location"]["lat"],
            "longitude": detail["location"]["lon"],
        },
    }
    contact = detail.get("contact") or {}
    if contact.get("phone"):
        data["telephone"] = contact["phone"]
    if contact.get("website"):
        data["sameAs"] = contact["website"]
    price = detail.get("price_range")
    if price:
        data["priceRange"] = f"${price['min']:.0f}-${price['max']:.0f}"
    hours = detail.get("hours") or {}
    data["openingHoursSpecification"] = [
        {
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": DAY_NAMES[day],
            "opens": span.split("-")[0],
            "closes": span.split("-")[1],
        }
        for day in DAY_NAMES
        for span in hours.get(day) or []
    ]
    rating = detail["rating"]
    if rating["count"]:
        data["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": rating["average"],
            "reviewCount": rating["count"],
            "bestRating": 5,
            "worstRating": 1,
        }
        data["review"] = [
            {
                "@type": "Review",
                "name": r.get("title") or None,
                "reviewBody": r.get("text") or None,
                "datePublished": r["date"],
                "author": {"@type": "Person", "name": r.get("author") or "Anonymous"},
                "reviewRating": {
                    "@type": "Rating",
                    "ratingValue": r["rating"],
                    "bestRating": 5,
                    "worstRating": 1,
                },
            }
            for r in detail["reviews"]["items"]
        ]
    return {k: v for k, v in data.items() if v is not None}
