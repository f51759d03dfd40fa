"""attendance: the nameko entrypoints."""
from services.common.service import PlatformService


class AttendanceService(PlatformService):
    name = "attendance"
