"""The meeting itself, pure: schedule, planner, agenda, briefing."""
