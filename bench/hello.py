"""The baseline of every benchmark: the smallest Flask app, served the same way as engage."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
