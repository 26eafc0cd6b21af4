"""Releases: the model (stages of targets and their outcomes), the release-file format, and the
runner that deploys a release stage by stage and rolls it back as one."""
