"""grades: the nameko entrypoints."""
from services.common.service import PlatformService


class GradesService(PlatformService):
    name = "grades"
