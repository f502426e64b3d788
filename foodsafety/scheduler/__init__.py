"""The scheduler: the job list (`jobs.JOBS`) and a runner that runs each due (job, period) once."""
