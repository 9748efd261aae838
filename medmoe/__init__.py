__version__ = "0.1.0"

def __getattr__(name: str):
    "`medmoe.load` (see `medmoe.inference`), imported on first use so `import medmoe` stays light."
    if name == 'load':
        from .inference import load
        return load
    raise AttributeError(f"module 'medmoe' has no attribute {name!r}")
