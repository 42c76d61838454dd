"""Choices of the catalogue, and the vocabulary shared by organizations and advisories.

Sectors and criticality tiers describe both who runs products (organizations) and whom an
advisory addresses (its audience). Both apps build on the catalogue, so the shared vocabulary
lives here rather than making one of them depend on the other.
"""

from django.db import models


class ProductCategory(models.TextChoices):
    ENDPOINT_PROTECTION = "endpoint_protection", "Endpoint protection / antivirus"
    SECURITY_MANAGEMENT = "security_management", "Security management console"
    NETWORK_DEVICE = "network_device", "Network device (router, switch)"
    FIREWALL_VPN = "firewall_vpn", "Firewall / VPN"
    TELECOM_EQUIPMENT = "telecom_equipment", "Telecommunications equipment"
    RADIO = "radio", "Two-way radio"
    VIDEO_SURVEILLANCE = "video_surveillance", "Video surveillance"
    INDUSTRIAL_CONTROL = "industrial_control", "Industrial control system"
    MEDICAL_DEVICE = "medical_device", "Medical device"
    OPERATING_SYSTEM = "operating_system", "Operating system"
    SERVER_SOFTWARE = "server_software", "Server software"
    DESKTOP_SOFTWARE = "desktop_software", "Desktop software"
    CLOUD_SERVICE = "cloud_service", "Cloud service"
    MOBILE_DEVICE = "mobile_device", "Mobile device"
    LIBRARY = "library", "Software library / package"
    OTHER = "other", "Other"


class CpePart(models.TextChoices):
    """What kind of thing a product's CPE names name (the CPE ``part``); blank: not known."""

    APPLICATION = "a", "Application"
    OPERATING_SYSTEM = "o", "Operating system"
    HARDWARE = "h", "Hardware"


class Sector(models.TextChoices):
    ENERGY = "energy", "Energy"
    WATER = "water", "Water"
    HEALTH = "health", "Health"
    FINANCE = "finance", "Finance and insurance"
    TRANSPORT = "transport", "Transport"
    TELECOM = "telecom", "Telecommunications and IT"
    GOVERNMENT = "government", "Government and public administration"
    DEFENCE = "defence", "Defence"
    EDUCATION = "education", "Education and research"
    MANUFACTURING = "manufacturing", "Manufacturing"
    FOOD = "food", "Food"
    RETAIL = "retail", "Retail"
    MEDIA = "media", "Media"
    OTHER = "other", "Other"


class CriticalityTier(models.TextChoices):
    """How critical an organization is to society, as regulators classify it."""

    CRITICAL_INFRASTRUCTURE = "critical_infrastructure", "Critical infrastructure operator"
    SPECIAL_INTEREST = "special_interest", "Special public interest"
    STANDARD = "standard", "Standard"
