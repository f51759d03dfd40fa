"""The data generator: a realistic association loaded through the services' own RPC API.

    python -m tools.datagen --seed 42 [--scale small|full] [--schools N]

See docs/performance.md."""
