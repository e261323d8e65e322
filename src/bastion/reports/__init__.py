"""Reports Bastion produces: the case report (HTML, PDF, JSON) and hotline reports."""
