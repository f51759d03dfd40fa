"""The register's back-end services: one nameko service per package, plus the shared platform (`common`)."""
import warnings

# eventlet (needed by nameko 2.14) warns about its own deprecation on every import; silence that
# one warning only (../shared/STACK.md).
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
