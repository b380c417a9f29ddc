"""Organisations: their days follow their time zone's offset, kept current."""

from university_local.core.features import Feature, Job
from university_local.tenancy.apps import refresh_utc_offsets

# Daylight saving moves a zone's offset; activity is dated with the offset now in force.
FEATURE = Feature(
    "tenancy",
    jobs=(Job("utc-offsets", lambda config: 300, lambda store, config: lambda: refresh_utc_offsets(store)),),
    on_start=(lambda store, config: refresh_utc_offsets(store),),
)
