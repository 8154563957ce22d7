"""The synthetic demo dataset (`lab-registry seed-demo`): shaped like the DITP press release of 1 December 2020."""
