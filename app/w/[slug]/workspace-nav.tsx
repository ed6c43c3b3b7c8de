"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";

export function WorkspaceNav({ slug }: { slug: string }) {
  const path = usePathname();
  const tabs = [
    { href: `/w/${slug}`, label: "Datasets" },
    { href: `/w/${slug}/findings`, label: "Findings" },
    { href: `/w/${slug}/members`, label: "Members" },
  ];
  return (
    <nav className="tabs" aria-label="Workspace">
      {tabs.map((t) => (
        <Link key={t.href} href={t.href} prefetch={false} className={path === t.href ? "active" : ""} aria-current={path === t.href ? "page" : undefined}>
          {t.label}
        </Link>
      ))}
    </nav>
  );
}
