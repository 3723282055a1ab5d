"""buyerlab: turn transcribed buyer interviews into evidence about how customers buy."""

__version__ = "0.1.0"

from buyerlab.corpus import Corpus  # noqa: E402
from buyerlab.errors import BuyerlabError, CodebookError, InputError, StudyError  # noqa: E402
from buyerlab.study import Study, StudyConfig  # noqa: E402

__all__ = ["Corpus", "Study", "StudyConfig", "BuyerlabError", "InputError", "StudyError", "CodebookError",
           "__version__"]
