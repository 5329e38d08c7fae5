"""Images and files sent in chat: upload checks, storage, serving to those who may see them."""
from flask import Blueprint

bp = Blueprint("attachments", __name__)
