"""A FastAPI app behind Mangum, written as for AWS."""

from fastapi import FastAPI, Request
from mangum import Mangum

app = FastAPI()


@app.get("/fa/items/{item_id}")
def read_item(item_id: int, q: str | None = None):
    return {"item_id": item_id, "q": q}


@app.post("/fa/echo")
async def echo(request: Request):
    return {"received": await request.json(), "path": request.url.path}


handler = Mangum(app, lifespan="off")
