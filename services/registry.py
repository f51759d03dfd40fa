"""Which class is each service: ``module:Class``, named explicitly because nameko would also
pick up the PlatformService base (../shared/STACK.md)."""
import importlib

SERVICE_CLASSES = {
    "identity": "services.identity.service:IdentityService",
    "scheduling": "services.scheduling.service:SchedulingService",
    "grades": "services.grades.service:GradesService",
    "attendance": "services.attendance.service:AttendanceService",
    "messaging": "services.messaging.service:MessagingService",
    "archive": "services.archive.service:ArchiveService",
}


def service_class(name):
    module, cls = SERVICE_CLASSES[name].split(":")
    return getattr(importlib.import_module(module), cls)
