"""Every dashboard page by its key in URLs and the metrics API."""

from metrics.dashboards import page_operations, page_sla, page_staffing
from metrics.dashboards_value import page_quality, page_roi

PAGES = {
    "sla": page_sla,
    "operations": page_operations,
    "quality": page_quality,
    "roi": page_roi,
    "staffing": page_staffing,
}
