"""Running sessions: the engine, its figures and its trace."""
