"""Code that runs inside an execution environment. Standard library only: it is imported by the
zygote before any user code, and the engine may import nothing of it but ``wire``."""
