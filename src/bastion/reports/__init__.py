"""Reports Bastion produces: the case report (HTML, PDF, JSON) and hotline reports (NCMEC
CyberTipline, UK NCA and IWF referrals)."""
