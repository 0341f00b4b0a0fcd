"""Flask extensions, created unbound; ``create_app`` binds them to an app."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from learning.core.db import Base

# Objects stay usable after the one commit of a request, without reloading each of them.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# No default limits: each sensitive view names its own, from configuration.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
