"""archive: the nameko entrypoints."""
from services.common.service import PlatformService


class ArchiveService(PlatformService):
    name = "archive"
