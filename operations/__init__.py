"""Keeping the app up when what it leans on fails: Redis (the cache, rate limits, the broker)
going away, a worker dying mid-job. Small pieces the apps use: process metrics
(``metrics``), a cache that falls through to the database (``cache``), and heartbeats that
let a sweeper find a job whose worker is gone (``heartbeats``)."""
