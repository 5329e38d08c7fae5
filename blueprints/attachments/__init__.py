"""Images and files sent in chat: upload checks, storage, serving to those who may see them."""
from flask import Blueprint

from models import Attachment

bp = Blueprint("attachments", __name__, url_prefix=Attachment.URL_PREFIX)
