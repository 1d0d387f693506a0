def make():
    return object()
