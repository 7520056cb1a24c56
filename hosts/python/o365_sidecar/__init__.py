"""Python client of `o365-host serve`, the Office 365 component as a sidecar.

Standard library only. See hosts/python/README.md and docs/embedding.md.
"""

from .client import Client, SidecarError, start_serve

__all__ = ["Client", "SidecarError", "start_serve"]
