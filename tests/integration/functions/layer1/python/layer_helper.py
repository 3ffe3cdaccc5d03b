def greet():
    return "hello from a layer"
